/**
 * JSON schemas of the auth API bodies: frameworks validate with them and the OpenAPI
 * document is built from them. Handlers still check types themselves (defence in depth, and
 * for adapters that do not validate). Strings are bounded so no field can be huge.
 */
const password = { type: 'string', minLength: 1, maxLength: 4096 } as const;
const email = { type: 'string', minLength: 3, maxLength: 320 } as const;
const opaqueToken = { type: 'string', minLength: 1, maxLength: 512 } as const;

export const AUTH_ROUTE_SCHEMAS = {
  register: {
    type: 'object', required: ['email', 'password'], additionalProperties: false,
    properties: { email, password },
  },
  login: {
    type: 'object', required: ['email', 'password'], additionalProperties: false,
    properties: { email, password, mode: { type: 'string', enum: ['session', 'jwt'] } },
  },
  refresh: {
    type: 'object', additionalProperties: false, properties: { refreshToken: opaqueToken },
  },
  logout: {
    type: 'object', additionalProperties: false, properties: { refreshToken: opaqueToken },
  },
  password: {
    type: 'object', required: ['currentPassword', 'newPassword'], additionalProperties: false,
    properties: { currentPassword: password, newPassword: password },
  },
  empty: { type: 'object', additionalProperties: false, properties: {} },
  verifyEmail: {
    type: 'object', required: ['token'], additionalProperties: false, properties: { token: opaqueToken },
  },
  passwordReset: {
    type: 'object', required: ['email'], additionalProperties: false, properties: { email },
  },
  passwordResetConfirm: {
    type: 'object', required: ['token', 'newPassword'], additionalProperties: false,
    properties: { token: opaqueToken, newPassword: password },
  },
  emailChange: {
    type: 'object', required: ['newEmail', 'currentPassword'], additionalProperties: false,
    properties: { newEmail: email, currentPassword: password },
  },
  emailConfirm: {
    type: 'object', required: ['token'], additionalProperties: false, properties: { token: opaqueToken },
  },
  deleteAccount: {
    type: 'object', required: ['currentPassword'], additionalProperties: false, properties: { currentPassword: password },
  },
} as const;

/**
 * JSON schemas of the query strings the routes read. Every value is a string (a repeated
 * parameter is an array, refused by `type`); each `description` completes the 400 message
 * "The query parameter <name> must be <description>."
 */
export const AUTH_QUERY_SCHEMAS = {
  audit: {
    type: 'object', additionalProperties: false,
    properties: {
      before: { type: 'string', pattern: '^[1-9][0-9]{0,14}$', description: 'a positive integer (the `next` of the previous page)' },
      limit: { type: 'string', pattern: '^(?:[1-9][0-9]?|1[0-9]{2}|200)$', description: 'an integer from 1 to 200' },
    },
  },
} as const;

import * as z from 'zod/mini';
import { UserNameSchema } from '../npm/schemas.js';
import { ROLE_NAMES } from './access.js';

/** The shortest password an account may have (npm adduser, first-run setup). */
export const MIN_PASSWORD_LENGTH = 8;

/** `GET /api/v1/setup`: whether the registry still waits for its first admin account. */
export const SetupStatusSchema = z.object({ needed: z.boolean() });

/** Body of `POST /api/v1/setup`: the one-time token printed by `wharf serve`, and the first admin's account. */
export const SetupRequestSchema = z.object({
  token: z.string().check(z.minLength(1, 'the setup token printed by `wharf serve` is required')),
  name: UserNameSchema,
  password: z.string().check(z.minLength(MIN_PASSWORD_LENGTH, `password must be at least ${MIN_PASSWORD_LENGTH} characters`), z.maxLength(1024)),
  email: z.optional(z.string().check(z.maxLength(254))),
});
export type SetupRequest = z.infer<typeof SetupRequestSchema>;

/** The new admin and a bearer token for them. */
export const SetupResultSchema = z.object({ name: z.string(), role: z.literal('admin'), token: z.string() });
export type SetupResult = z.infer<typeof SetupResultSchema>;

/** `GET /api/v1/me`: who the caller is and every control-plane permission it may use. */
export const MeSchema = z.object({
  name: z.string(),
  role: z.enum(ROLE_NAMES),
  readonly: z.boolean(),
  permissions: z.array(z.string()),
});
export type Me = z.infer<typeof MeSchema>;

/** Body of `POST /api/v1/sessions`: signing in to the console with a password. */
export const SessionRequestSchema = z.object({
  name: z.string().check(z.minLength(1, 'name is required'), z.maxLength(214)),
  password: z.string().check(z.minLength(1, 'password is required'), z.maxLength(1024)),
});
export type SessionRequest = z.infer<typeof SessionRequestSchema>;

/** A session: a bearer token that expires, held by the console in sessionStorage (never a cookie). */
export const SessionSchema = z.object({ name: z.string(), token: z.string(), expires: z.string() });
export type Session = z.infer<typeof SessionSchema>;

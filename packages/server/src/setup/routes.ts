import type { FastifyInstance } from 'fastify';
import { SetupRequestSchema, SetupResultSchema, SetupStatusSchema } from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { installRateLimit, perMinute } from '../http.js';
import type { SetupService } from './setup-service.js';

export interface SetupRoutesOptions {
  setup: SetupService;
  catalog: ApiCatalog;
  /** Attempts per client address per minute, as for logins: the token is a secret worth guessing. */
  rateLimit: number;
}

/** First run: whether an admin account is still to be created, and creating it with the one-time token. */
export async function setupRoutes(app: FastifyInstance, { setup, catalog, rateLimit }: SetupRoutesOptions): Promise<void> {
  await installRateLimit(app, 'setup attempts');
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/setup',
      tag: 'setup',
      access: 'public',
      summary: 'Whether the first admin account is still to be created',
      responses: { 200: { description: '`needed` is true while no user has the admin role', schema: SetupStatusSchema } },
    },
    async () => ({ needed: await setup.needed() }),
  );
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/setup',
      tag: 'setup',
      access: 'public',
      summary: 'Create the first admin account with the one-time setup token',
      description: '`wharf serve` prints the token while no admin exists. Single use: once an admin exists the answer is 409.',
      body: SetupRequestSchema,
      options: { config: perMinute(rateLimit) },
      responses: {
        201: { description: 'The admin account and a bearer token for it', schema: SetupResultSchema },
        400: { description: 'Invalid body, or the name is taken' },
        403: { description: 'Wrong setup token' },
        409: { description: 'An admin account already exists' },
      },
    },
    async ({ body }, _request, reply) => {
      const created = await setup.createAdmin(body);
      reply.code(201);
      return created;
    },
  );
}

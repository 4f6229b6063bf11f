import {
  pageOf,
  WebhookCreateInput,
  WebhookDeletedResult,
  WebhookDeliveriesInput,
  WebhookDeliverySchema,
  WebhookIdInput,
  WebhookListInput,
  WebhookSchema,
  WebhookTestResult,
  WebhookUpdateInput,
  WebhookWithSecretSchema,
} from '@taskflow/contracts';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  rotateWebhookSecret,
  testWebhook,
  updateWebhook,
} from '../services/webhooks';
import { sync } from '../sync-parse';
import { protectedMutation, protectedProcedure, router } from '../trpc';

/** A project's webhook endpoints: owners and admins only. */
export const webhooksRouter = router({
  create: protectedMutation
    .input(sync(WebhookCreateInput))
    .output(sync(WebhookWithSecretSchema))
    .mutation(({ ctx, input }) => createWebhook(ctx.trx, ctx.actor, ctx.webhooks, input)),
  list: protectedProcedure
    .input(sync(WebhookListInput))
    .output(sync(pageOf(WebhookSchema)))
    .query(({ ctx, input }) => listWebhooks(ctx.db, ctx.actor, input)),
  get: protectedProcedure
    .input(sync(WebhookIdInput))
    .output(sync(WebhookSchema))
    .query(({ ctx, input }) => getWebhook(ctx.db, ctx.actor, input)),
  update: protectedMutation
    .input(sync(WebhookUpdateInput))
    .output(sync(WebhookSchema))
    .mutation(({ ctx, input }) => updateWebhook(ctx.trx, ctx.actor, ctx.webhooks, input)),
  delete: protectedMutation
    .input(sync(WebhookIdInput))
    .output(sync(WebhookDeletedResult))
    .mutation(({ ctx, input }) => deleteWebhook(ctx.trx, ctx.actor, input)),
  rotateSecret: protectedMutation
    .input(sync(WebhookIdInput))
    .output(sync(WebhookWithSecretSchema))
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.trx, ctx.actor, ctx.webhooks, input)),
  test: protectedMutation
    .input(sync(WebhookIdInput))
    .output(sync(WebhookTestResult))
    .mutation(({ ctx, input }) => testWebhook(ctx.trx, ctx.actor, input)),
  deliveries: protectedProcedure
    .input(sync(WebhookDeliveriesInput))
    .output(sync(pageOf(WebhookDeliverySchema)))
    .query(({ ctx, input }) => listWebhookDeliveries(ctx.db, ctx.actor, input)),
});

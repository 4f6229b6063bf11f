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
import { protectedMutation, protectedProcedure, router } from '../trpc';

/** A project's webhook endpoints: owners and admins only. */
export const webhooksRouter = router({
  create: protectedMutation
    .input(WebhookCreateInput)
    .output(WebhookWithSecretSchema)
    .mutation(({ ctx, input }) => createWebhook(ctx.trx, ctx.actor, ctx.webhooks, input)),
  list: protectedProcedure
    .input(WebhookListInput)
    .output(pageOf(WebhookSchema))
    .query(({ ctx, input }) => listWebhooks(ctx.db, ctx.actor, input)),
  get: protectedProcedure
    .input(WebhookIdInput)
    .output(WebhookSchema)
    .query(({ ctx, input }) => getWebhook(ctx.db, ctx.actor, input)),
  update: protectedMutation
    .input(WebhookUpdateInput)
    .output(WebhookSchema)
    .mutation(({ ctx, input }) => updateWebhook(ctx.trx, ctx.actor, ctx.webhooks, input)),
  delete: protectedMutation
    .input(WebhookIdInput)
    .output(WebhookDeletedResult)
    .mutation(({ ctx, input }) => deleteWebhook(ctx.trx, ctx.actor, input)),
  rotateSecret: protectedMutation
    .input(WebhookIdInput)
    .output(WebhookWithSecretSchema)
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.trx, ctx.actor, ctx.webhooks, input)),
  test: protectedMutation
    .input(WebhookIdInput)
    .output(WebhookTestResult)
    .mutation(({ ctx, input }) => testWebhook(ctx.trx, ctx.actor, input)),
  deliveries: protectedProcedure
    .input(WebhookDeliveriesInput)
    .output(pageOf(WebhookDeliverySchema))
    .query(({ ctx, input }) => listWebhookDeliveries(ctx.db, ctx.actor, input)),
});

import type { Command } from 'commander';
import type { DocstoreService } from '../service.js';
import { failWithUsageProblems, parsePositive } from './cli-arguments.js';

type WithService = (work: (service: DocstoreService) => Promise<void>) => Promise<void>;

const STATUSES = ['pending', 'delivered', 'dead'] as const;

/**
 * `docstore events list|replay`: the webhook deliveries of the outbox (docs/events.md). `list`
 * shows deliveries by status, oldest event first; `replay` queues deliveries again, which a
 * serving instance's dispatcher then sends (this command sends nothing itself).
 */
export function registerEventsCommands(program: Command, withService: WithService): void {
  const events = program.command('events').description('Events sent to webhooks: list deliveries, replay dead or lost ones (docs/events.md).');

  events
    .command('list')
    .description('Webhook deliveries, oldest event first: event, type, document, endpoint, status, attempts, last error.')
    .option('--status <status>', `only deliveries with this status (${STATUSES.join(', ')})`)
    .option('--limit <count>', 'at most this many', parsePositive, 1000)
    .option('--json', 'one JSON object per line on stdout')
    .action(async (options: { status?: string; limit: number; json?: boolean }, command: Command) => {
      if (options.status !== undefined && !(STATUSES as readonly string[]).includes(options.status)) {
        failWithUsageProblems(command, [`--status: ${JSON.stringify(options.status)} is not one of ${STATUSES.join(', ')}`]);
      }
      const { listDeliveries } = await import('../events/delivery-repository.js');
      await withService(async (service) => {
        const rows = await listDeliveries(service.db, { limit: options.limit, ...(options.status === undefined ? {} : { status: options.status as (typeof STATUSES)[number] }) });
        if (options.json === true) {
          for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write(`no ${options.status === undefined ? '' : `${options.status} `}deliveries\n`);
          return;
        }
        for (const row of rows) {
          const subject = row.documentId === null ? `building ${row.buildingId ?? '-'}` : `document ${row.documentId}`;
          const when = row.status === 'pending' ? `next ${row.nextAttemptAt}` : row.status === 'delivered' ? `at ${row.deliveredAt}` : '';
          const error = row.lastError === null ? '' : `: ${row.lastError}`;
          process.stdout.write(`${row.eventId} ${row.type.padEnd(22)} ${subject} → ${row.endpoint} ${row.status} (${row.attempts} attempts) ${when}${error}\n`);
        }
      });
    });

  events
    .command('replay')
    .description('Queue an event again for every endpoint (even one that had it; same id), or every dead delivery (--dead). A serving instance sends them.')
    .argument('[event-id]', 'the event to send again')
    .option('--dead', 'every dead delivery')
    .option('--json', 'machine-readable summary on stdout')
    .action(async (eventId: string | undefined, options: { dead?: boolean; json?: boolean }, command: Command) => {
      if ((eventId === undefined) === (options.dead !== true)) failWithUsageProblems(command, ['give either an event id or --dead']);
      const { eventExists, replayDeliveries } = await import('../events/delivery-repository.js');
      const { EventsError } = await import('../events/events-errors.js');
      await withService(async (service) => {
        if (eventId !== undefined && !(await eventExists(service.db, eventId))) throw EventsError.notFound(eventId);
        const queued = await replayDeliveries(service.db, eventId === undefined ? { dead: true } : { eventId }, new Date());
        if (options.json === true) process.stdout.write(`${JSON.stringify({ queued })}\n`);
        else process.stdout.write(`queued ${queued} deliver${queued === 1 ? 'y' : 'ies'} again${service.config.webhooks === undefined ? ' (DOCSTORE_WEBHOOK_URLS is not set here: a serving instance with webhooks sends them)' : ''}\n`);
      });
    });
}

import { DocstoreError } from '../errors/docstore-error.js';

/** Codes of the events outbox (`docstore events`). */
export const EVENTS_ERROR_CODES = ['events.not_found'] as const;

export type EventsErrorCode = (typeof EVENTS_ERROR_CODES)[number];

export class EventsError extends DocstoreError<EventsErrorCode> {
  constructor(code: EventsErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context });
  }

  static notFound(eventId: string): EventsError {
    return new EventsError('events.not_found', `No event ${JSON.stringify(eventId)} (docstore events list shows the ids)`, { eventId });
  }
}

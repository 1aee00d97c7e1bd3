/**
 * The PostgreSQL NOTIFY channel on which queuing an email wakes the workers of every instance as
 * soon as the row commits. Polling stays as the fallback for drivers or proxies without LISTEN.
 */
export const OUTBOX_CHANNEL = 'verigate_outbox';

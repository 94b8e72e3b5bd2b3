/** The envelope every delivery carries; `id` is the event's, the same on every retry (for de-duplication). */
export function envelope(e: { id: string; type: string; createdAt: Date; data: Record<string, unknown> }) {
  return { id: e.id, event: e.type, created_at: new Date(e.createdAt).toISOString(), data: e.data };
}

export const eventIdOf = (dbId: string | number) => `evt_${dbId}`;

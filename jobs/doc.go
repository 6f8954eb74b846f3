// Package jobs runs the hall's scheduled jobs (reminders, escalations, digests, the monthly
// star, reports and rankings), each occurrence once across replicas, and the push pipeline that
// delivers what they and the ticket events queue in the outbox: mute → dedupe → render → rate
// limit → send with retry → record. The jobs queue their texts written out; a ticket event
// queues its message as data (models.PushMessage), which the render stage words in the
// recipient's language when the push is sent. It reaches the database only through models and Redis only
// through the interfaces declared here (Marks, PaceStore), which flows/state implements.
//
// # Platform limits across replicas
//
// Every replica dispatches the outbox, and a platform's limits (Telegram: about 30 messages a
// second per bot, one a second per chat) belong to the bot, not to a process. Two designs keep
// them with several replicas: a pace shared in Redis that every send draws on, or a lease that
// lets one replica at a time dispatch a platform. The shared pace (SharedLimiter) is the one
// used, because it holds up better when things go wrong:
//
//   - A lease needs its holder to know that it still holds it. A holder that stalls (a long
//     garbage collection, a starved container, a network partition from Redis) keeps sending
//     while its lease runs out and another replica takes over, which is the very overrun the
//     lease was meant to prevent; fencing it would need the platform's help, which it does not
//     give. The shared pace is checked at each send, so a stalled replica only loses its slots
//     (a slot missed by more than an interval is taken afresh, never sent late in a bunch).
//   - A leader that dies stops every push of its platform until its lease runs out; with the
//     shared pace the other replicas go on at once, and the outbox leases return its claimed
//     pushes.
//   - The limits are counted on the Redis server's clock, so replicas whose clocks disagree
//     still keep them; the per-chat interval and a 429's retry_after hold across replicas too.
//   - The cost is a round trip to Redis or two per message, nothing beside 30 a second.
//
// Without Redis there is a single replica, which paces itself (Limiter). When Redis cannot be
// reached, a SharedLimiter paces its own replica until Redis is back and says so in the log;
// pushes keep flowing, and the platform's 429s, which are honoured, cover the overlap.
package jobs

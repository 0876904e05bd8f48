-- Serialises writers of the same stream before either is given a transaction id: a transaction id is
-- drawn at a transaction's first write, so a writer that drew one and then waited on the stream row could
-- hold a lower id than the writer it waited for, and subscriptions (which read in transaction id order)
-- would see that stream's versions out of order. Locking here first keeps later versions in later transactions.
-- $1 lock name prefix, $2 stream ids, in the one order every writer locks them.
SELECT pg_advisory_xact_lock(hashtextextended($1 || s::text, 0)) FROM unnest($2::uuid[]) AS s

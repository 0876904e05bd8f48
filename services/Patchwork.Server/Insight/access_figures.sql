-- The access figures of issue 23, from the audit trail, by organisation and month (UTC): counts only, never a purpose's
-- text or a client. {schema} is replaced by the quoted schema name. @organisation null: every organisation. Searches are
-- counted by common purpose (@casework, @referral, @safeguarding, @meeting: each purpose's code and words, lower case);
-- the rest are "another purpose".
SELECT organisation_id,
       (extract(year FROM at AT TIME ZONE 'UTC') * 100 + extract(month FROM at AT TIME ZONE 'UTC'))::int AS month,
       count(*) FILTER (WHERE action = 'client.search')                                  AS searches,
       count(*) FILTER (WHERE outcome = 'denied')                                        AS refusals,
       count(*) FILTER (WHERE action = 'client.audit.read' AND outcome = 'allowed')      AS who_viewed_reads,
       count(*) FILTER (WHERE action = 'break-glass.grant' AND outcome = 'allowed')      AS break_glass,
       count(*) FILTER (WHERE action = 'break-glass.review' AND outcome = 'allowed')     AS break_glass_reviewed,
       count(*) FILTER (WHERE action = 'client.search' AND lower(btrim(purpose)) = ANY (@casework))     AS searches_casework,
       count(*) FILTER (WHERE action = 'client.search' AND lower(btrim(purpose)) = ANY (@referral))     AS searches_referral,
       count(*) FILTER (WHERE action = 'client.search' AND lower(btrim(purpose)) = ANY (@safeguarding)) AS searches_safeguarding,
       count(*) FILTER (WHERE action = 'client.search' AND lower(btrim(purpose)) = ANY (@meeting))      AS searches_meeting
  FROM {schema}.audit_entries
 WHERE at >= @from AND at < @to
   AND (@organisation::uuid IS NULL OR organisation_id = @organisation)
 GROUP BY 1, 2

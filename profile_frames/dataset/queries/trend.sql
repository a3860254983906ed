-- One function's share per value of a label ({label}), over the chosen threads ({threads}):
-- profiles with that value, and the mean self and total share (0 % where it is absent).
WITH chosen AS (
  SELECT t.profile_id, t.thread, t.weight FROM threads t WHERE {threads}
),
weights AS (
  SELECT profile_id, SUM(weight) AS weight FROM chosen GROUP BY profile_id HAVING SUM(weight) > 0
),
fn AS (
  SELECT f.profile_id, SUM(f.self) AS self, SUM(f.total) AS total
  FROM functions f
  JOIN chosen c ON f.profile_id = c.profile_id AND f.thread = c.thread
  WHERE f.function = :function
  GROUP BY f.profile_id
)
SELECT
  p.{label} AS {label},
  COUNT(*) AS profiles,
  SUM(100.0 * COALESCE(fn.self, 0) / w.weight) / COUNT(*) AS mean_self_pct,
  SUM(100.0 * COALESCE(fn.total, 0) / w.weight) / COUNT(*) AS mean_total_pct
FROM weights w
JOIN profiles p ON p.profile_id = w.profile_id
LEFT JOIN fn ON fn.profile_id = w.profile_id
GROUP BY p.{label}
ORDER BY p.{label}

-- Self and total per function of the chosen threads over every profile of the dataset.
-- {threads}: which threads (t.main, or t.name = :thread); every matching thread of a profile
-- counts together. mean_*_pct: the mean share per profile, a profile without the function
-- counting as 0 %.
WITH chosen AS (
  SELECT t.profile_id, t.thread, t.weight FROM threads t WHERE {threads}
),
weights AS (
  SELECT profile_id, SUM(weight) AS weight FROM chosen GROUP BY profile_id HAVING SUM(weight) > 0
),
runs AS (SELECT COUNT(*) AS n FROM weights),
per_profile AS (
  SELECT f.profile_id, f.function, f.library, SUM(f.self) AS self, SUM(f.total) AS total
  FROM functions f
  JOIN chosen c ON f.profile_id = c.profile_id AND f.thread = c.thread
  GROUP BY f.profile_id, f.function, f.library
)
SELECT
  p.function,
  p.library,
  COUNT(*) AS profiles,
  SUM(p.self) AS self,
  SUM(p.total) AS total,
  SUM(100.0 * p.self / w.weight) / MAX(r.n) AS mean_self_pct,
  SUM(100.0 * p.total / w.weight) / MAX(r.n) AS mean_total_pct
FROM per_profile p
JOIN weights w ON p.profile_id = w.profile_id
CROSS JOIN runs r
GROUP BY p.function, p.library
ORDER BY self DESC, total DESC, p.function, p.library

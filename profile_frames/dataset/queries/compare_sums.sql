-- N runs against M runs: per side and function, the sum and the sum of squares of its share
-- (self_pct, or total_pct with {value} = total) over the runs, and the runs on that side.
-- profile_frames.analysis.stats turns these into means, variances, the change, its interval,
-- p- and q-values, the same way for polars, DuckDB and Spark.
WITH chosen AS (
  SELECT t.profile_id, t.thread, t.weight FROM threads t WHERE {threads}
),
weights AS (
  SELECT profile_id, SUM(weight) AS weight FROM chosen GROUP BY profile_id HAVING SUM(weight) > 0
),
sides AS (
  SELECT p.profile_id, 'before' AS side FROM profiles p WHERE {before}
  UNION ALL
  SELECT p.profile_id, 'after' AS side FROM profiles p WHERE {after}
),
runs AS (
  SELECT s.side, s.profile_id, w.weight
  FROM sides s JOIN weights w ON s.profile_id = w.profile_id
),
counts AS (SELECT side, COUNT(*) AS n FROM runs GROUP BY side),
shares AS (
  SELECT r.side, f.function, f.library, 100.0 * SUM(f.{value}) / MAX(r.weight) AS share
  FROM runs r
  JOIN chosen c ON c.profile_id = r.profile_id
  JOIN functions f ON f.profile_id = c.profile_id AND f.thread = c.thread
  GROUP BY r.side, r.profile_id, f.function, f.library
)
SELECT s.side, s.function, s.library, SUM(s.share) AS sum, SUM(s.share * s.share) AS sum_sq,
       MAX(c.n) AS n
FROM shares s JOIN counts c ON s.side = c.side
GROUP BY s.side, s.function, s.library

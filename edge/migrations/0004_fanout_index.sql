-- Each fan-out chunk looks up the deliveries it just created by (release, subscriber).
-- With an index on the release alone that lookup read every delivery of the release so
-- far, so a release's planning cost grew with the square of its size (100,000
-- subscribers took 17 × as long as 10,000). The pair keeps it constant per chunk.
DROP INDEX deliveries_by_release;
CREATE INDEX deliveries_by_release ON deliveries(release_id, subject_id);

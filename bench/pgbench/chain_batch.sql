-- The single writer of the batched design, run by one pgbench client beside
-- signoff_staged.sql: chain what has committed (at most sanshen's batch of
-- 1000), then wait 5 ms for the next batch to gather, as sanshen's chainer
-- does after a change rings it (src/audit/chainer.rs).
SELECT bench_chain_batch(1000);
\sleep 5 ms

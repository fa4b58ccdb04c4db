-- The single writer of the batched design, run by one pgbench client beside
-- signoff_staged.sql: chain what has committed, then wait a moment (a real
-- writer would wait for a NOTIFY from the committing transactions).
SELECT bench_chain_batch(5000);
\sleep 2 ms

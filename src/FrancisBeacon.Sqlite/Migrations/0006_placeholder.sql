-- Placeholder on branch 'monthly' only: number 0006 belongs to the session rollups (branch 'sessions'). The merger
-- drops this file when that branch's 0006 lands.
SELECT 1;

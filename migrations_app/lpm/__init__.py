"""Live Partition Mobility jobs: the wizard's defaults and the `migrlpar` line (`options`), the
operations the pages and the API call (`services`), what a worker runs against the HMC
(`runner`) and the inventory change a completed migration makes (`apply`)."""

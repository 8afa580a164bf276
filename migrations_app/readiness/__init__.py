"""Readiness runs: every LPAR of a scope validated by its HMC (`migrlpar -o v`) against the
frame it would go to, throttled per HMC and yielding to real migrations, with the pre-flight
verdict beside each answer."""

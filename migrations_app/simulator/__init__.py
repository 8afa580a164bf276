"""The HMC simulator: an SSH server that answers the HMC command line from an in-memory estate."""

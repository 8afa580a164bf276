"""SAN zoning of the estate: the plan derived from the inventory, names that pass every switch
rule, and the exports a SAN admin downloads (xlsx, CSV, Brocade FOS, Cisco MDS, storage)."""

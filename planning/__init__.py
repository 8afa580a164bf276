"""Rules and generators over the inventory: schemes, checks, stub twins, zoning, pre-flight."""

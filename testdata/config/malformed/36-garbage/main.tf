this is not HCL at all; it is prose.

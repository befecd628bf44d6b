"""trellis' local AWS: moto's server with VPC Lattice and RAM completed, faults and call counts.

Modules: `apimodel` (rest-json from botocore models), `lattice`, `ram`,
`faults`, `protocols` (operation names and error shapes), `server` (the WSGI
app and admin endpoint), `__main__` (the command line).
"""

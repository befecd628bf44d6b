moved {
  from = aws_vpclattice_service.a
  to   = aws_vpclattice_service.b
}

moved {
  from = aws_vpclattice_service.a
  to   = aws_vpclattice_service.c
}

import {
  to = aws_vpclattice_service.b
  id = "1"
}

import {
  to = aws_vpclattice_service.b
  id = "2"
}

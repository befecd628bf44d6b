import {
  id = "svc-1"
}

import {
  to = var.target
  id = "svc-2"
}

import {
  to = aws_vpclattice_service.a
}

import {
  to       = aws_vpclattice_service.a.arn
  id       = "svc-3"
  provider = "aws"
}

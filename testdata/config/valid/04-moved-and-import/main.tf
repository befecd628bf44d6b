resource "aws_vpclattice_service" "orders" {
  name = "orders"
}

resource "aws_vpclattice_service" "by_name" {
  for_each = toset(["billing", "search"])
  name     = each.key
}

moved {
  from = aws_vpclattice_service.old_orders
  to   = aws_vpclattice_service.orders
}

moved {
  from = aws_vpclattice_service.single
  to   = aws_vpclattice_service.by_name["billing"]
}

moved {
  from = aws_vpclattice_service.counted[0]
  to   = aws_vpclattice_service.by_name["search"]
}

import {
  to = aws_vpclattice_service.orders
  id = "svc-0123456789abcdef0"
}

import {
  for_each = { billing = "svc-1", search = "svc-2" }
  to       = aws_vpclattice_service.by_name[each.key]
  id       = each.value
  provider = aws.network
}

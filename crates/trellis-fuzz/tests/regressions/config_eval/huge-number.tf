locals {
  a = 1e308 * 1e308
  b = -1e308 * 1e308
  c = 0 / 0
}
output "o" {
  value = [local.a, local.b, local.c, pow(10, 400), floor(1e308 * 10)]
}

resource "trellis_test_thing" "b" {
  name  = "b"
  value = var.missing
}

provider "trellis" {
  store = "world.json"
}

resource "trellis_test_listener" "l" {
  name       = "l"
  service_id = "svc-1"
  port       = 70000
}

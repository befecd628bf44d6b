provider "trellis" {
  store = "world.json"
}

resource "trellis_test_service" "svc" {
  name        = "svc"
  descripton  = "typo in the argument name"
}

provider "trellis" {
  store = "world.json"
}

resource "trellis_test_network" "n" {
  name = "n"
}

moved {
  from = trellis_test_thing.n
  to   = trellis_test_network.n
}

provider "trellis" {
  store = "world.json"
}

resource "trellis_test_netwrok" "mesh" {
  name = "mesh"
}

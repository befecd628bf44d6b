provider "trellis" {
  store = "world.json"
}

resource "trellis_test_network" "mesh" {
  name = "mesh"
}

resource "trellis_test_thing" "t" {
  name  = "t"
  value = trellis_test_network.mesh.nmae
}

provider "trellis" {
  store = "world.json"
}

# Types of providers trellis does not have, and a type its provider does not serve: one
# error per type, at its first use, listing the other uses.
resource "random_id" "suffix" {
  byte_length = 4
}

resource "trellis_test_cluster" "a" {
  name = "a"
}

resource "trellis_test_cluster" "b" {
  name = "b"
}

resource "random_id" "other" {
  byte_length = 8
}

resource "trellis_test_cluster" "c" {
  name = "c"
}

locals {
  a = 1

  nested {
    b = 2
  }
}

locals {
  a = 3
}

module "registry" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}

module "both" {
  source   = "./modules/x"
  count    = 2
  for_each = toset(["a"])
}

module "nosource" {
  name = "x"
}

module "bad_providers" {
  source    = "./modules/x"
  providers = "aws"
  lifecycle {
    create_before_destroy = true
  }
}

module "reserved" {
  source = "./modules/x"
  locals = 1
}

module "reserved" {
  source = "./modules/y"
}

module "local_version" {
  source  = "./modules/x"
  version = "1.0.0"
}

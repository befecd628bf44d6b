variable "service_network" {
  description = "the service network to create"
  type        = any
  default     = {}
}

variable "services" {
  description = "the services to create and associate with the service network"
  type        = any
  default     = {}
}

variable "tags" {
  type    = map(string)
  default = {}
}

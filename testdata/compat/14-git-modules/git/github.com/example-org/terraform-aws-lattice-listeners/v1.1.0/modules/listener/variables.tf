variable "service_id" {
  type = string
}

variable "port" {
  type    = number
  default = 80
}

variable "rules" {
  type = map(object({
    priority = number
    path     = string
    status   = optional(number, 404)
  }))
  default = {}
}

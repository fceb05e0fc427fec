variable "name" {
  description = "Prefix of every resource, e.g. `shipgate-staging`."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the databases and the broker."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (two availability zones) of the databases and the broker."
  type        = list(string)
}

variable "databases" {
  description = <<-EOT
    PostgreSQL instances keyed by logical name (e.g. `inventory`, `billing`): one RDS instance per service
    database, so a service cannot read another's tables and each can be restored on its own. The master
    password is generated and rotated by RDS in Secrets Manager (`manage_master_user_password`); it never
    appears in Terraform state.
  EOT
  type = map(object({
    db_name                 = string
    username                = optional(string, "app")
    engine_version          = optional(string, "17")
    instance_class          = optional(string, "db.t4g.micro")
    allocated_storage       = optional(number, 20)
    max_allocated_storage   = optional(number, 100)
    multi_az                = optional(bool, false)
    backup_retention_period = optional(number, 7)
    deletion_protection     = optional(bool, true)
  }))
  default = {}
}

variable "rabbitmq" {
  description = "Amazon MQ for RabbitMQ broker; null creates none. `deployment_mode` is SINGLE_INSTANCE or CLUSTER_MULTI_AZ (three nodes, production)."
  type = object({
    engine_version     = optional(string, "3.13")
    host_instance_type = optional(string, "mq.t3.micro")
    deployment_mode    = optional(string, "SINGLE_INSTANCE")
    username           = optional(string, "app")
  })
  default = null

  validation {
    condition     = var.rabbitmq == null || contains(["SINGLE_INSTANCE", "CLUSTER_MULTI_AZ"], try(var.rabbitmq.deployment_mode, ""))
    error_message = "The rabbitmq.deployment_mode must be SINGLE_INSTANCE or CLUSTER_MULTI_AZ."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}

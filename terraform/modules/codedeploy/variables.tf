variable "name" {
  description = "Name of the CodeDeploy application and deployment group, e.g. `shipgate-production-api-gateway`."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster of the service."
  type        = string
}

variable "service_name" {
  description = "ECS service (created with the CODE_DEPLOY deployment controller)."
  type        = string
}

variable "deployment_config_name" {
  description = "Default traffic-shifting config, e.g. `CodeDeployDefault.ECSCanary10Percent5Minutes`, `CodeDeployDefault.ECSLinear10PercentEvery1Minutes` or `CodeDeployDefault.ECSAllAtOnce`. Shipgate may name another per release (config `codeDeployConfig`)."
  type        = string
  default     = "CodeDeployDefault.ECSCanary10Percent5Minutes"
}

variable "production_listener_arns" {
  description = "Listener(s) carrying production traffic to the service."
  type        = list(string)
}

variable "test_listener_arns" {
  description = "Listener(s) routing test traffic to the replacement task set before it takes production traffic."
  type        = list(string)
  default     = []
}

variable "target_group_names" {
  description = "The service's two target groups (blue, green), by name."
  type        = list(string)

  validation {
    condition     = length(var.target_group_names) == 2
    error_message = "Exactly two target group names are needed for a blue/green deployment group."
  }
}

variable "alarm_names" {
  description = "CloudWatch alarms that stop and roll back a deployment."
  type        = list(string)
  default     = []
}

variable "termination_wait_time_in_minutes" {
  description = "Minutes the original task set keeps running after traffic moved, so a rollback is instant."
  type        = number
  default     = 5
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}

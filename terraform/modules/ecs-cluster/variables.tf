variable "name" {
  description = "Name of the ECS cluster, e.g. `shipgate-staging`."
  type        = string
}

variable "capacity" {
  description = "Where tasks run: `FARGATE` (default, no hosts to patch) or `EC2` (an Auto Scaling group of ECS-optimized instances behind a capacity provider, as the seed ran)."
  type        = string
  default     = "FARGATE"

  validation {
    condition     = contains(["FARGATE", "EC2"], var.capacity)
    error_message = "The capacity must be FARGATE or EC2."
  }
}

variable "fargate_spot_weight" {
  description = "With FARGATE capacity: weight of FARGATE_SPOT in the default strategy (0 keeps every task on on-demand Fargate; the first task always runs on-demand)."
  type        = number
  default     = 0
}

variable "container_insights" {
  description = "CloudWatch Container Insights level: `enhanced`, `enabled` or `disabled`."
  type        = string
  default     = "enhanced"

  validation {
    condition     = contains(["enhanced", "enabled", "disabled"], var.container_insights)
    error_message = "The container_insights must be enhanced, enabled or disabled."
  }
}

variable "vpc_id" {
  description = "VPC of the EC2 container instances (EC2 capacity only)."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Private subnets of the EC2 container instances (EC2 capacity only)."
  type        = list(string)
  default     = []
}

variable "instance_type" {
  description = "EC2 instance type of the container instances (EC2 capacity only)."
  type        = string
  default     = "t4g.medium"
}

variable "instance_architecture" {
  description = "CPU architecture of the container instances, matching `instance_type`: `arm64` or `x86_64` (EC2 capacity only)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.instance_architecture)
    error_message = "The instance_architecture must be arm64 or x86_64."
  }
}

variable "min_size" {
  description = "Minimum number of container instances (EC2 capacity only)."
  type        = number
  default     = 1
}

variable "max_size" {
  description = "Maximum number of container instances; managed scaling adds instances up to it during rollouts (EC2 capacity only)."
  type        = number
  default     = 4
}

variable "target_capacity" {
  description = "Target utilisation (percent) managed scaling keeps the instances at (EC2 capacity only). Below 100 leaves headroom so a rollout can start new tasks before old ones stop."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}

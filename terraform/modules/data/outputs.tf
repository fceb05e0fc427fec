output "client_security_group_id" {
  description = "Security group to attach to services that use the databases or the broker."
  value       = try(aws_security_group.clients.id, null)
}

output "security_group_id" {
  description = "Security group of the databases and the broker."
  value       = try(aws_security_group.this.id, null)
}

output "databases" {
  description = "Per database: host, port, database name, and the ARN of the Secrets Manager secret RDS manages (keys `username`, `password`)."
  value = try({
    for k, db in aws_db_instance.this : k => {
      host       = db.address
      port       = db.port
      db_name    = db.db_name
      secret_arn = db.master_user_secret[0].secret_arn
    }
  }, null)
}

output "rabbitmq_host" {
  description = "AMQPS host name of the broker (null without a broker)."
  value       = try(regex("^amqps://([^:]+)", aws_mq_broker.this[0].instances[0].endpoints[0])[0], null)
}

output "rabbitmq_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the broker credentials (keys `username`, `password`, `host`, `port`, `url`)."
  value       = try(aws_secretsmanager_secret.rabbitmq[0].arn, null)
}

output "rabbitmq_console_url" {
  description = "URL of the RabbitMQ management console (reachable from inside the VPC only)."
  value       = try(aws_mq_broker.this[0].instances[0].console_url, null)
}

locals {
  create_mq = var.rabbitmq != null
}

################################################################################
# Security groups. Services join `clients`; the databases and the broker accept
# connections from that group only.
################################################################################

resource "aws_security_group" "clients" {
  name        = "${var.name}-data-clients"
  description = "Members may connect to the ${var.name} databases and broker"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-data-clients" })
}

resource "aws_security_group" "this" {
  name        = "${var.name}-data"
  description = "Databases and broker of ${var.name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-data" })
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  count = length(var.databases) > 0 ? 1 : 0

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from data clients"
  referenced_security_group_id = aws_security_group.clients.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_ingress_rule" "amqps" {
  count = local.create_mq ? 1 : 0

  security_group_id            = aws_security_group.this.id
  description                  = "AMQP over TLS from data clients"
  referenced_security_group_id = aws_security_group.clients.id
  ip_protocol                  = "tcp"
  from_port                    = 5671
  to_port                      = 5671
}

################################################################################
# PostgreSQL (RDS)
################################################################################

resource "aws_db_subnet_group" "this" {
  count = length(var.databases) > 0 ? 1 : 0

  name       = var.name
  subnet_ids = var.subnet_ids

  tags = var.tags
}

resource "aws_db_instance" "this" {
  for_each = var.databases

  identifier     = "${var.name}-${each.key}"
  engine         = "postgres"
  engine_version = each.value.engine_version
  instance_class = each.value.instance_class

  db_name                     = each.value.db_name
  username                    = each.value.username
  manage_master_user_password = true

  allocated_storage     = each.value.allocated_storage
  max_allocated_storage = each.value.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true

  multi_az               = each.value.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this[0].name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false

  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  backup_retention_period             = each.value.backup_retention_period
  copy_tags_to_snapshot               = true
  deletion_protection                 = each.value.deletion_protection
  skip_final_snapshot                 = false
  final_snapshot_identifier           = "${var.name}-${each.key}-final"
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]

  tags = merge(var.tags, { Database = each.key })
}

################################################################################
# RabbitMQ (Amazon MQ). Amazon MQ needs the password in the API call, so it is
# generated here, kept in Secrets Manager for the services, and in the (encrypted,
# access-restricted) state.
################################################################################

resource "random_password" "rabbitmq" {
  count = local.create_mq ? 1 : 0

  length           = 32
  special          = true
  override_special = "-_.~"
}

resource "aws_mq_broker" "this" {
  count = local.create_mq ? 1 : 0

  broker_name                = "${var.name}-rabbitmq"
  engine_type                = "RabbitMQ"
  engine_version             = var.rabbitmq.engine_version
  host_instance_type         = var.rabbitmq.host_instance_type
  deployment_mode            = var.rabbitmq.deployment_mode
  auto_minor_version_upgrade = true
  publicly_accessible        = false
  subnet_ids                 = var.rabbitmq.deployment_mode == "SINGLE_INSTANCE" ? [var.subnet_ids[0]] : var.subnet_ids
  security_groups            = [aws_security_group.this.id]

  user {
    username = var.rabbitmq.username
    password = random_password.rabbitmq[0].result
  }

  logs {
    general = true
  }

  tags = var.tags
}

resource "aws_secretsmanager_secret" "rabbitmq" {
  count = local.create_mq ? 1 : 0

  name                    = "${var.name}/rabbitmq"
  description             = "RabbitMQ credentials of ${var.name} (keys: username, password, host, port, url)"
  recovery_window_in_days = 7

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "rabbitmq" {
  count = local.create_mq ? 1 : 0

  secret_id = aws_secretsmanager_secret.rabbitmq[0].id
  secret_string = jsonencode({
    username = var.rabbitmq.username
    password = random_password.rabbitmq[0].result
    host     = regex("^amqps://([^:]+)", aws_mq_broker.this[0].instances[0].endpoints[0])[0]
    port     = 5671
    url      = "amqps://${var.rabbitmq.username}:${random_password.rabbitmq[0].result}@${regex("^amqps://(.+)$", aws_mq_broker.this[0].instances[0].endpoints[0])[0]}"
  })
}

# ZStack engine tests: the real MariaDB server and client (mysqldump) and
# the real RabbitMQ broker (rabbitmqctl); openssl made the decryption vector.
TEST_DEBS += mariadb-server mariadb-client rabbitmq-server

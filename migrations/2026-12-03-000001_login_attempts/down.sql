DROP TABLE login_known_addresses;
DROP TABLE login_attempts;

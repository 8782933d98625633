// libssh2 (Debian's libssh2-1-dev), for common.Ssh: SSH sessions, commands and SFTP.
#include <libssh2.h>
#include <libssh2_sftp.h>

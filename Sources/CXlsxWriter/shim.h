// libxlsxwriter (Debian's libxlsxwriter-dev), for writing .xlsx files.
#include <xlsxwriter.h>

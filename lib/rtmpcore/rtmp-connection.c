#include "rtmp-connection.h"

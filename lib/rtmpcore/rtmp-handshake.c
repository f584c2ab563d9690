#include "rtmp-handshake.h"

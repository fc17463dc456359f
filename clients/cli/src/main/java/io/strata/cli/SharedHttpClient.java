package io.strata.cli;

import io.strata.client.ApiClient;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.http.HttpClient;

/**
 * One HTTP client for the whole command (the generated ApiClient builds a new one for every API object), stopped
 * before the JVM exits. Why stop it: its selector thread waits in native code, and on exit the JVM waits up to
 * 300 ms for such threads before it ends — more than a third of a short command's time. Java 17's HttpClient has no
 * close(); its internal stop() is reached through the jar's {@code Add-Opens: java.net.http/jdk.internal.net.http}
 * (a JDK without it just exits the slow way).
 */
final class SharedHttpClient extends ApiClient {
  private static HttpClient shared;

  @Override
  public synchronized HttpClient getHttpClient() {
    synchronized (SharedHttpClient.class) {
      if (shared == null) {
        shared = super.getHttpClient();
      }
      return shared;
    }
  }

  /** Stops the client's selector thread, if one was made. */
  static synchronized void stop() {
    synchronized (SharedHttpClient.class) {
      if (shared == null) {
        return;
      }
      try {
        Field impl = shared.getClass().getDeclaredField("impl");
        impl.setAccessible(true);
        Object client = impl.get(shared);
        Method stop = client.getClass().getDeclaredMethod("stop");
        stop.setAccessible(true);
        stop.invoke(client);
        // closed, its selector thread goes once it wakes from its wait
        for (Thread t : Thread.getAllStackTraces().keySet()) {
          if (t.getName().startsWith("HttpClient-") && t.getName().endsWith("-SelectorManager")) {
            t.interrupt();
            t.join(200);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ReflectiveOperationException | RuntimeException notThisJdk) {
        // the JVM waits for the thread at exit instead
      }
      shared = null;
    }
  }
}

// SPDX-License-Identifier: Apache-2.0
// Topic setup for the test broker, in one JVM so many topics cost one start-up.
// Run with Java 17's single-file launch (t/kafka/kafka.sh create-topics does this):
//   java -cp "$KU_KAFKA_HOME/libs/*" t/kafka/TopicAdmin.java BOOTSTRAP create NAME[:PARTITIONS] ...
//   java -cp "$KU_KAFKA_HOME/libs/*" t/kafka/TopicAdmin.java BOOTSTRAP delete NAME ...
// create: the broker's default replication factor; existing topics are fine; returns once every partition has a
// leader in the broker's metadata, i.e. once a producer can use the topic.
// delete: missing topics are fine; returns once the broker no longer lists them.

import java.util.*;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

public class TopicAdmin {
    static final long DEADLINE_MS = 60_000;

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || !(args[1].equals("create") || args[1].equals("delete"))) {
            System.err.println("usage: TopicAdmin BOOTSTRAP create NAME[:PARTITIONS]... | delete NAME...");
            System.exit(2);
        }
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        List<String> names = new ArrayList<>();
        try (Admin admin = Admin.create(p)) {
            if (args[1].equals("delete")) {
                names.addAll(Arrays.asList(args).subList(2, args.length));
                for (var e : admin.deleteTopics(names).topicNameValues().entrySet()) {
                    try {
                        e.getValue().get();
                    } catch (ExecutionException x) {
                        if (!(x.getCause() instanceof UnknownTopicOrPartitionException)) throw x;
                    }
                }
                // Gone from the broker's metadata too, so a re-create right after works.
                long end = System.currentTimeMillis() + DEADLINE_MS;
                while (!Collections.disjoint(admin.listTopics().names().get(), names)) {
                    if (System.currentTimeMillis() > end) throw new IllegalStateException("topics not deleted: " + names);
                    Thread.sleep(50);
                }
                return;
            }
            List<NewTopic> topics = new ArrayList<>();
            for (int i = 2; i < args.length; i++) {
                String[] np = args[i].split(":", 2);
                int parts = np.length > 1 ? Integer.parseInt(np[1]) : 1;
                // The broker's default.replication.factor: 1 on kafka.sh's, 3 on cluster.sh's.
                topics.add(new NewTopic(np[0], Optional.of(parts), Optional.empty()));
                names.add(np[0]);
            }
            for (var e : admin.createTopics(topics).values().entrySet()) {
                try {
                    e.getValue().get();
                } catch (ExecutionException x) {
                    // Already there (e.g. a re-run) is fine; it still has to become usable below.
                    if (!(x.getCause() instanceof TopicExistsException)) throw x;
                }
            }
            waitForLeaders(admin, names);
        }
    }

    // The controller has the topic before the broker's metadata cache does; poll the broker
    // until each partition has a leader, which is what a producer's metadata request needs.
    static void waitForLeaders(Admin admin, List<String> names) throws Exception {
        long end = System.currentTimeMillis() + DEADLINE_MS;
        while (true) {
            String missing = null;
            try {
                var d = admin.describeTopics(names).allTopicNames().get();
                for (String n : names)
                    for (TopicPartitionInfo tp : d.get(n).partitions())
                        if (tp.leader() == null || tp.leader().isEmpty()) missing = n + "-" + tp.partition();
            } catch (ExecutionException x) {
                if (!(x.getCause() instanceof UnknownTopicOrPartitionException)) throw x;
                missing = x.getCause().getMessage();
            }
            if (missing == null) return;
            if (System.currentTimeMillis() > end)
                throw new IllegalStateException("no leader after " + DEADLINE_MS + " ms: " + missing);
            Thread.sleep(50);
        }
    }
}
